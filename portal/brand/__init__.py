"""The company's brand: name, logo, colours, support address and footer, from settings, on every
customer-facing page, email and error page, and in the admin's header."""
