"""What partner agencies receive: signing keys and signatures over feed answers."""
