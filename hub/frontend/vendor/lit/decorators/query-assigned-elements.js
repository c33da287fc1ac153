export*from"@lit/reactive-element/decorators/query-assigned-elements.js";
