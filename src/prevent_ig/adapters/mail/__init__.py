"""Mail: building messages, delivering them over SMTP, reading request emails, a demo sink."""
