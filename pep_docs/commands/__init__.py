"""CLI commands, one module per area. Each module lists its click commands in `COMMANDS`;
`pep_docs.cli` registers every module found here, so adding a command is adding a module."""
