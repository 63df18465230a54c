"""Text helpers of the bot: translation bound to a locale, HTML escaping, paging."""
