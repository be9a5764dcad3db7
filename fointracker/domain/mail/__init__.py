"""Pure rules for mail (#16): reading a message, telling replies from bounces and auto-replies,
suggesting the step a reply records, our references and reply addresses. No Flask, no database."""
