"""The credit-information catalog, materialised from the national policy pack."""
