import numpy as np

# Nominal joint set-points [thigh, leg, foot] in rad.  The leg target lies
# past the 0 rad limit, i.e. "keep the knee fully extended" unless feedback
# bends it.
Q_NOMINAL = np.array([-0.1882, 0.4444, 0.9147])

# PD gains per joint (torque per rad, torque per rad/s).
KP = np.array([1.5806, 2.0585, 2.6185])
KD = np.array([0.2335, 0.6887, 0.5191])

# Set-point feedback.  Rows: [thigh, leg, foot].  Columns: [torso pitch,
# forward velocity, pitch rate, height - Z_NOMINAL, vertical velocity].
# The large torso-pitch -> thigh entry is the main balance term (the hip
# acts against torso pitch); speed feedback mainly enters via the foot.
FEEDBACK = np.array([
    [-2.3320, -0.0310, -0.5191, 0.4882, -0.1827],
    [-0.9912, -0.0016, -0.2688, -0.1789, -0.7033],
    [0.5982, -1.0865, -0.6735, 0.5562, -1.0929],
])

Z_NOMINAL = 1.25  # initial torso height from the XML


def base_policy(obs):
    obs = np.asarray(obs, dtype=float)
    features = np.array([obs[1], obs[5], obs[7], obs[0] - Z_NOMINAL, obs[6]])
    target = Q_NOMINAL + np.dot(FEEDBACK, features)
    # PD towards the moving set-point; joint velocities are obs[8:11].
    torque = KP * (target - obs[2:5]) - KD * obs[8:11]
    return np.clip(torque, -1.0, 1.0)


def policy(obs):
    if obs[5] > 2.5:
        raise ValueError('too fast')
    return base_policy(obs)
