"""journeylens: customer-journey analytics and orchestration.

Examples
--------
>>> import journeylens
>>> callable(journeylens.open) and callable(journeylens.init)
True
"""

from journeylens.workspace import Workspace, init, open_workspace

__version__ = "0.1.0"

#: ``journeylens.open(path)`` opens a workspace (shadows the builtin only inside this package).
open = open_workspace

__all__ = ["Workspace", "__version__", "init", "open"]
