export*from"@lit/reactive-element/decorators/query-all.js";
