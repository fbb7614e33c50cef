"""The command line's own user errors."""


class UsageError(Exception):
    """A request the user can fix: said in one line, exit 1."""


class UsageErrors(UsageError):
    """Several problems found at once: each said on its own line, exit 1."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("\n".join(problems))
        self.problems = problems
