"""Keras-named optimizers over optax, and learning-rate schedules."""

from . import schedules as schedules
from .adagrad import Adadelta as Adadelta
from .adagrad import Adagrad as Adagrad
from .adagrad import Ftrl as Ftrl
from .adam import Adam as Adam
from .adam import Adamax as Adamax
from .adam import AdamW as AdamW
from .adam import Nadam as Nadam
from .base import Optimizer as Optimizer
from .base import OptimizerState as OptimizerState
from .optax_wrapper import OptaxOptimizer as OptaxOptimizer
from .registry import deserialize as deserialize
from .registry import get as get
from .registry import serialize as serialize
from .sgd import SGD as SGD
from .sgd import Lion as Lion
from .sgd import RMSprop as RMSprop
