#: The installed version of mmphate.
__version__ = "0.1.0"
