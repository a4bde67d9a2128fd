#: The installed version of mmphate.
__version__ = "0.2.0.dev0"
