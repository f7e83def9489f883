"""TensorBoard logging without TensorFlow (``nbkeras.logging``).

``SummaryWriter`` writes event files with the ``tensorboard`` package alone;
``scalars``/``plot_scalars`` read them back inside a notebook without a server.
``%load_ext tensorboard`` then ``%tensorboard --logdir logs`` (the tensorboard
package's own magic) serves the same directory.
"""

from nbkeras.logging.graph import model_graph
from nbkeras.logging.reader import plot_scalars, scalars
from nbkeras.logging.writer import SummaryWriter
