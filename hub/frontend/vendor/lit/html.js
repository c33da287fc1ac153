export*from"lit-html";
