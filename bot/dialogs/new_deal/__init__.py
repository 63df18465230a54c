"""New deal: the wizard from the client to the deal's card."""
