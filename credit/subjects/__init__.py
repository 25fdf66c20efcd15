"""Credit subjects (信用主体): kinds, identifiers, registration, reading, practice sites."""
