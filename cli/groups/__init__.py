"""One module per command group: ``add(sub)`` declares its arguments; its ``run(args, settings)``
imports the package that does the work only when that command runs."""
