# hostile prior: getattr builtin
# expect: refused at load
# refused: 'getattr' is not available to a prior (no I/O, reflection or dynamic code)
import numpy as np

def policy(obs):
    loader = getattr(np, 'load')
    return loader('CANARY_FILE')
