"""Ways in: the command line now; the web application and JSON API later."""
