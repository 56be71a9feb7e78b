"""Many-seed experiments: ``camel-gym sweep`` runs a grid of ``td3_camel.py`` trials on Ray,
resumably; ``camel-gym report`` turns them into curves and tables with honest statistics.

Modules: ``grid`` (which trials, checked before any starts), ``run`` (running them on Ray),
``stats`` (IQM, bootstrap intervals, probability of improvement), ``report`` (CSV, figures,
Markdown) and ``commands`` (the two subcommands' options). Needs ``pip install -e ".[sweep]"``.
"""
