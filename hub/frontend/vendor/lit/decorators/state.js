export*from"@lit/reactive-element/decorators/state.js";
