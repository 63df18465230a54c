"""Partners: search, the partner's card, contact persons."""
