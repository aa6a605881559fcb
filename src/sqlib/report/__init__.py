"""Layer 3, the report: narratives (sentences from tested rules), tables and figures as a
paper shows them, path diagrams, output files, report parameters, the papermill runner and
the command line. Nothing imports the report layer."""
