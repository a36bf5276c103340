"""Command-line tools of the Marcier leasing platform."""
