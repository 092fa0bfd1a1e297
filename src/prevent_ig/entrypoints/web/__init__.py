"""The web application: FastAPI with server-rendered Jinja2 pages in the NHS.UK design system."""
