"""Why each Keras 3 public name nbkeras lacks is missing (read by
tests/test_keras_coverage.py). Every missing name needs a reason here; remove the entry
when the name is added."""

# fmt: off
I10 = 'issue 10 (layer catalogue, helper i10): not built yet'
AUG = 'image augmentation / preprocessing layer: not built yet (issue 10); ops.image offers resize, crop, pad and colour conversions for custom pipelines'
STR = 'HashedCrossing (hashed feature crosses): not built yet; layers.Hashing and the lookup layers exist'
TF = 'needs TensorFlow (a TF SavedModel / tf.data), which nbkeras does not depend on'
TORCH = 'PyTorch backend only'
WRAP = 'every nbkeras layer is an nnx.Module and any nnx.Module goes into a model directly; a Keras-style wrapper class is not provided yet'
QUANT = 'quantization (int8/int4/float8/GPTQ/AWQ) is not implemented in nbkeras'
APPS = 'pretrained applications need downloaded ImageNet weights (no network at run time); not provided'
DIST = 'issue 14 (distribution, helper i14): in progress'
LOG = "interactive-logging switches: nbkeras's progress output is the notebook live view / text progbar chosen per front-end; no absl logging mode"
TB = 'traceback filtering: owned by issue 8 (helper i8b), not exposed as a switch yet'
MAXEP = 'fit caps (keras.config.set_max_epochs...) need a hook in train/ (issue 8 owner i8a); not wired yet'
DATA = 'directory / tf.data dataset builders (images, text, audio, timeseries): owned by issue 12 (helper i12), not built yet'
IMGIO = 'image file I/O (PIL) helpers: owned by issue 12 (helper i12), not built yet'
LOSS = 'loss not implemented yet (rarely used outside segmentation/OCR research)'
METRIC = 'metric not implemented yet (IoU family, threshold-at-recall family, F-scores and correlations)'
OPT = 'optimizer not implemented yet; optax has it (pass an optax.GradientTransformation to compile)'
VIS = 'bounding-box / segmentation plotting: not provided (KerasCV-style visualisation)'
SKL = 'scikit-learn wrappers: not provided'
EXPORT = 'export to TF SavedModel needs TensorFlow; nbkeras models are nnx modules (use orbax or .keras)'
CTC_DEC = 'CTC beam/greedy decoding not implemented yet (ctc_loss is)'
SCOPE = "Keras's tracing-scope classes (Operation, Function, SymbolicScope, StatelessScope) belong to its own graph machinery; nbkeras traces with JAX directly"
REMAT = 'rematerialisation: use jax.checkpoint / nnx.remat directly'
DEVICE = 'device placement: use jax.default_device / jax.device_put'
SPECT = 'spectrogram layers (STFTSpectrogram, MelSpectrogram): not built yet (ops.stft exists)'
ORBAX = 'Orbax checkpoint callback: not provided (models can be handed to orbax directly)'
REMOTE = 'RemoteMonitor posts to an HTTP server: not provided'
EMA = 'SwapEMAWeights callback: not provided (optimizers do support use_ema=True)'
FILEEDIT = 'KerasFileEditor (inspect/patch .keras files): not provided'
FEATSPACE = 'FeatureSpace relies on string lookup layers and tf.data: not provided'
STFTINIT = 'STFT initializer: not implemented yet'
DATASET = 'dataset loader not provided yet (issue 12, helper i12, owns datasets/)'
NS = 'namespace not provided by nbkeras (see the reasons of its names)'
QPOL = 'quantized dtype policies: nbkeras has no quantization'
LSO = 'loss scaling for float16: not implemented (use mixed_bfloat16, which needs none)'
NAMESCOPE = 'name_scope: nbkeras names weights by layer path; no name-scope stack'
INSPEC = 'InputSpec (declared input constraints): not implemented; layers validate shapes in build/call with explicit errors'
PROGBAR = 'utils.Progbar: the text progress bar lives in callbacks.ProgbarLogger and the notebook live view; no standalone class yet'
CONFIG = 'utils.Config (a frozen attribute dict): not provided'
DOT = 'model_to_dot needs pydot/graphviz; nbkeras draws graphs as SVG (utils.plot_model)'

MISSING = {
    '': {
        'Function': SCOPE,
        'InputSpec': INSPEC,
        'Operation': SCOPE,
        'Quantizer': QUANT,
        'RematScope': REMAT,
        'StatelessScope': SCOPE,
        'SymbolicScope': SCOPE,
        'applications': NS,
        'device': DEVICE,
        'distillation': NS,
        'export': NS,
        'legacy': NS,
        'name_scope': NAMESCOPE,
        'preprocessing': NS,
        'quantizers': NS,
        'remat': REMAT,
        'visualization': NS,
        'wrappers': NS,
    },
    'layers': {
        'AugMix': AUG,
        'FlaxLayer': WRAP,
        'HashedCrossing': STR,
        'InputSpec': INSPEC,
        'JaxLayer': WRAP,
        'MaxNumBoundingBoxes': AUG,
        'MelSpectrogram': SPECT,
        'RandAugment': AUG,
        'ReversibleEmbedding': I10,
        'STFTSpectrogram': SPECT,
        'TFSMLayer': TF,
        'TorchModuleWrapper': TORCH,
    },
    'ops': {
        'ctc_decode': CTC_DEC,
    },
    'ops.nn': {
        'ctc_decode': CTC_DEC,
    },
    'utils': {
        'Config': CONFIG,
        'FeatureSpace': FEATSPACE,
        'array_to_img': IMGIO,
        'audio_dataset_from_directory': DATA,
        'disable_interactive_logging': LOG,
        'enable_interactive_logging': LOG,
        'img_to_array': IMGIO,
        'is_interactive_logging_enabled': LOG,
        'load_img': IMGIO,
        'model_to_dot': DOT,
        'save_img': IMGIO,
        'split_dataset': DATA,
    },
    'losses': {
        'CTC': LOSS,
        'CategoricalGeneralizedCrossEntropy': LOSS,
        'Circle': LOSS,
        'Dice': LOSS,
        'Tversky': LOSS,
        'categorical_generalized_cross_entropy': LOSS,
        'circle': LOSS,
        'ctc': LOSS,
        'dice': LOSS,
        'tversky': LOSS,
    },
    'metrics': {
        'BinaryIoU': METRIC,
        'ConcordanceCorrelation': METRIC,
        'F1Score': METRIC,
        'FBetaScore': METRIC,
        'IoU': METRIC,
        'MeanIoU': METRIC,
        'OneHotIoU': METRIC,
        'OneHotMeanIoU': METRIC,
        'PearsonCorrelation': METRIC,
        'PrecisionAtRecall': METRIC,
        'RecallAtPrecision': METRIC,
        'SensitivityAtSpecificity': METRIC,
        'SpecificityAtSensitivity': METRIC,
        'binary_focal_crossentropy': METRIC,
        'categorical_focal_crossentropy': METRIC,
        'concordance_correlation': METRIC,
        'pearson_correlation': METRIC,
    },
    'optimizers': {
        'Adafactor': OPT,
        'Lamb': OPT,
        'LossScaleOptimizer': LSO,
        'MultiOptimizer': OPT,
        'Muon': OPT,
        'OptimizerMap': OPT,
        'ScheduleFreeAdamW': OPT,
    },
    'callbacks': {
        'OrbaxCheckpoint': ORBAX,
        'RemoteMonitor': REMOTE,
        'SwapEMAWeights': EMA,
    },
    'initializers': {
        'STFT': STFTINIT,
        'STFTInitializer': STFTINIT,
        'stft': STFTINIT,
    },
    'config': {
        'disable_interactive_logging': LOG,
        'enable_interactive_logging': LOG,
        'is_interactive_logging_enabled': LOG,
        'max_epochs': MAXEP,
        'max_steps_per_epoch': MAXEP,
        'set_max_epochs': MAXEP,
        'set_max_steps_per_epoch': MAXEP,
    },
    'saving': {
        'KerasFileEditor': FILEEDIT,
    },
    'datasets': {
        'california_housing': DATASET,
    },
    'mixed_precision': {
        'LossScaleOptimizer': LSO,
    },
    'dtype_policies': {
        'AWQDTypePolicy': QPOL,
        'DTypePolicyMap': QPOL,
        'GPTQDTypePolicy': QPOL,
        'Int4DTypePolicy': QPOL,
        'QuantizedDTypePolicy': QPOL,
        'QuantizedFloat8DTypePolicy': QPOL,
    },
    'applications': {
        'ConvNeXtBase': APPS,
        'ConvNeXtLarge': APPS,
        'ConvNeXtSmall': APPS,
        'ConvNeXtTiny': APPS,
        'ConvNeXtXLarge': APPS,
        'DenseNet121': APPS,
        'DenseNet169': APPS,
        'DenseNet201': APPS,
        'EfficientNetB0': APPS,
        'EfficientNetB1': APPS,
        'EfficientNetB2': APPS,
        'EfficientNetB3': APPS,
        'EfficientNetB4': APPS,
        'EfficientNetB5': APPS,
        'EfficientNetB6': APPS,
        'EfficientNetB7': APPS,
        'EfficientNetV2B0': APPS,
        'EfficientNetV2B1': APPS,
        'EfficientNetV2B2': APPS,
        'EfficientNetV2B3': APPS,
        'EfficientNetV2L': APPS,
        'EfficientNetV2M': APPS,
        'EfficientNetV2S': APPS,
        'InceptionResNetV2': APPS,
        'InceptionV3': APPS,
        'MobileNet': APPS,
        'MobileNetV2': APPS,
        'MobileNetV3Large': APPS,
        'MobileNetV3Small': APPS,
        'NASNetLarge': APPS,
        'NASNetMobile': APPS,
        'ResNet101': APPS,
        'ResNet101V2': APPS,
        'ResNet152': APPS,
        'ResNet152V2': APPS,
        'ResNet50': APPS,
        'ResNet50V2': APPS,
        'VGG16': APPS,
        'VGG19': APPS,
        'Xception': APPS,
    },
    'quantizers': {
        'AWQConfig': QUANT,
        'AbsMaxQuantizer': QUANT,
        'Float8QuantizationConfig': QUANT,
        'GPTQConfig': QUANT,
        'Int4QuantizationConfig': QUANT,
        'Int8QuantizationConfig': QUANT,
        'QuantizationConfig': QUANT,
        'Quantizer': QUANT,
        'abs_max_quantize': QUANT,
        'abs_max_quantize_grouped_with_zero_point': QUANT,
        'compute_float8_amax_history': QUANT,
        'compute_float8_scale': QUANT,
        'deserialize': QUANT,
        'fake_quant_with_min_max_vars': QUANT,
        'get': QUANT,
        'pack_int4': QUANT,
        'quantize_and_dequantize': QUANT,
        'serialize': QUANT,
        'unpack_int4': QUANT,
    },
    'export': {
        'ExportArchive': EXPORT,
    },
    'preprocessing': {
        'image_dataset_from_directory': DATA,
        'text_dataset_from_directory': DATA,
        'timeseries_dataset_from_array': DATA,
    },
    'visualization': {
        'draw_bounding_boxes': VIS,
        'draw_segmentation_masks': VIS,
        'plot_bounding_box_gallery': VIS,
        'plot_image_gallery': VIS,
        'plot_segmentation_mask_gallery': VIS,
    },
    'wrappers': {
        'SKLearnClassifier': SKL,
        'SKLearnRegressor': SKL,
        'SKLearnTransformer': SKL,
    },
}
# fmt: on
