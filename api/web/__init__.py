"""Server-rendered pages: public publication, subject portal, regulator console (Chinese first)."""
