export*from"@lit/reactive-element/decorators/query.js";
