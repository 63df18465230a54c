"""My deals: the paged, filtered, searchable list of the deals an employee may see."""
