//! lookup use cases (being moved here from the server and the CLI).
