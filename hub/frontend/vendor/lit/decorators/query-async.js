export*from"@lit/reactive-element/decorators/query-async.js";
