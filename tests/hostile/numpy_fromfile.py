# hostile prior: numpy fromfile
# expect: refused at load
# refused: AttributeError: numpy.fromfile is not available to a prior
import numpy as np

def policy(obs):
    data = np.fromfile('/etc/passwd', dtype=np.uint8)
    return np.zeros(3) + data[0]
