"""One module per `archspec` sub-command.  Modules import heavy things inside
their functions, so `archspec --help` and each command stay fast."""
