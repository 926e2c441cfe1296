"""Hooks, loops and optimisation parts registered in the fgvc scope."""
