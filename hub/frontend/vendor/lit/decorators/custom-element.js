export*from"@lit/reactive-element/decorators/custom-element.js";
