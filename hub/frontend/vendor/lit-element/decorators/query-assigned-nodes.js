export*from"@lit/reactive-element/decorators/query-assigned-nodes.js";
