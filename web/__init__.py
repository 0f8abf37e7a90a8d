"""The subscription web app (`vnawatch web`): subscribe, confirm, manage, unsubscribe, operate."""
