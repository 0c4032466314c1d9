"""The worker process: heavy work under a time budget and operating-system limits, apart from the command."""
