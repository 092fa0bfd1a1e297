"""Working days in England, for the deadlines of partner requests and Channel information gathering."""
