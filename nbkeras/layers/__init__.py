"""Keras layers as Flax NNX modules (``nbkeras.layers``)."""

from nbkeras.layers.activation_layers import ELU, LeakyReLU, PReLU, ReLU, Softmax
from nbkeras.layers.attention import (
    GroupedQueryAttention,
    GroupQueryAttention,
    MultiHeadAttention,
)
from nbkeras.layers.attention_simple import AdditiveAttention, Attention
from nbkeras.layers.augmentation import (
    RandomBrightness,
    RandomContrast,
    RandomCrop,
    RandomFlip,
    RandomRotation,
    RandomTranslation,
    RandomZoom,
)
from nbkeras.layers.augmentation_color import (
    RandomColorDegeneration,
    RandomColorJitter,
    RandomGrayscale,
    RandomHue,
    RandomInvert,
    RandomPosterization,
    RandomSaturation,
    RandomSharpness,
)
from nbkeras.layers.augmentation_geometric import (
    RandomElasticTransform,
    RandomErasing,
    RandomGaussianBlur,
    RandomPerspective,
    RandomShear,
)
from nbkeras.layers.augmentation_intensity import (
    AutoContrast,
    ContrastLimitedAdaptiveHistogramEqualization,
    Equalization,
    Solarization,
)
from nbkeras.layers.augmentation_mix import CutMix, MixUp, Pipeline
from nbkeras.layers.base import Layer
from nbkeras.layers.batch_normalization import BatchNormalization
from nbkeras.layers.categorical import CategoryEncoding, Discretization
from nbkeras.layers.conv import (
    Conv1D,
    Conv2D,
    Conv3D,
    Convolution1D,
    Convolution2D,
    Convolution3D,
)
from nbkeras.layers.conv_depthwise import (
    DepthwiseConv1D,
    DepthwiseConv2D,
    SeparableConv1D,
    SeparableConv2D,
    SeparableConvolution1D,
    SeparableConvolution2D,
)
from nbkeras.layers.conv_lstm import ConvLSTM1D, ConvLSTM2D, ConvLSTM3D
from nbkeras.layers.conv_transpose import (
    Conv1DTranspose,
    Conv2DTranspose,
    Conv3DTranspose,
    Convolution1DTranspose,
    Convolution2DTranspose,
    Convolution3DTranspose,
)
from nbkeras.layers.core import Activation, Dense, Dropout, Embedding, Identity, Lambda
from nbkeras.layers.einsum_dense import EinsumDense
from nbkeras.layers.hashing import Hashing
from nbkeras.layers.input_layer import Input, InputLayer
from nbkeras.layers.lookup import IntegerLookup, StringLookup
from nbkeras.layers.masking import Masking
from nbkeras.layers.merging import (
    Add,
    Average,
    Concatenate,
    Dot,
    Maximum,
    Minimum,
    Multiply,
    Subtract,
    add,
    average,
    concatenate,
    dot,
    maximum,
    minimum,
    multiply,
    subtract,
)
from nbkeras.layers.normalization import (
    GroupNormalization,
    LayerNormalization,
    RMSNormalization,
    UnitNormalization,
)
from nbkeras.layers.pooling import (
    AveragePooling1D,
    AveragePooling2D,
    AveragePooling3D,
    AvgPool1D,
    AvgPool2D,
    AvgPool3D,
    GlobalAveragePooling1D,
    GlobalAveragePooling2D,
    GlobalAveragePooling3D,
    GlobalAvgPool1D,
    GlobalAvgPool2D,
    GlobalAvgPool3D,
    GlobalMaxPool1D,
    GlobalMaxPool2D,
    GlobalMaxPool3D,
    GlobalMaxPooling1D,
    GlobalMaxPooling2D,
    GlobalMaxPooling3D,
    MaxPool1D,
    MaxPool2D,
    MaxPool3D,
    MaxPooling1D,
    MaxPooling2D,
    MaxPooling3D,
)
from nbkeras.layers.pooling_adaptive import (
    AdaptiveAveragePooling1D,
    AdaptiveAveragePooling2D,
    AdaptiveAveragePooling3D,
    AdaptiveMaxPooling1D,
    AdaptiveMaxPooling2D,
    AdaptiveMaxPooling3D,
)
from nbkeras.layers.preprocessing import CenterCrop, Normalization, Rescaling, Resizing
from nbkeras.layers.recurrent import GRU, LSTM, RNN, SimpleRNN
from nbkeras.layers.regularization import (
    ActivityRegularization,
    AlphaDropout,
    GaussianDropout,
    GaussianNoise,
    SpatialDropout1D,
    SpatialDropout2D,
    SpatialDropout3D,
)
from nbkeras.layers.reshaping import (
    Cropping1D,
    Cropping2D,
    Flatten,
    Permute,
    RepeatVector,
    Reshape,
    UpSampling1D,
    UpSampling2D,
    ZeroPadding1D,
    ZeroPadding2D,
)
from nbkeras.layers.reshaping3d import Cropping3D, UpSampling3D, ZeroPadding3D
from nbkeras.layers.rnn_cells import GRUCell, LSTMCell, SimpleRNNCell, StackedRNNCells
from nbkeras.layers.rnn_wrappers import Bidirectional, TimeDistributed, Wrapper
from nbkeras.layers.serialization import deserialize, serialize
from nbkeras.layers.spectral_normalization import SpectralNormalization
from nbkeras.layers.text_vectorization import TextVectorization
from nbkeras.layers.wrappers import ModuleLayer
