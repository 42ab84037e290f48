"""The order commands, the order modal and its submission, external select options, and an order's
news."""
