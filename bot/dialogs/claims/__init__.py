"""Claims (претензійна робота) in the bot: the list, the card and the registration wizard."""
