"""The Chinese working-day calendar: statutory holidays and make-up workdays (调休)."""
