"""Database models, repositories, migrations and field encryption; knows nothing of Telegram."""
