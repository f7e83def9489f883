"""Notebook experience: rich reprs, the live training view, environment detection."""

from nbkeras.notebook.env import in_notebook as in_notebook
from nbkeras.notebook.explorer import Explorer as Explorer
from nbkeras.notebook.explorer import explore as explore
from nbkeras.notebook.live import LiveView as LiveView
from nbkeras.notebook.live import make_live_view as make_live_view
from nbkeras.notebook.reprs import history_html as history_html
from nbkeras.notebook.reprs import layer_html as layer_html
from nbkeras.notebook.reprs import model_html as model_html
from nbkeras.notebook.reprs import optimizer_html as optimizer_html
