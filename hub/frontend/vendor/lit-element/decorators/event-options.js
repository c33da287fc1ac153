export*from"@lit/reactive-element/decorators/event-options.js";
