import math
import numpy as np

GEAR = 150.0
OMEGA = 9.0          # gait angular frequency (rad/s), period ~0.70 s
AMP = 0.40           # hip stroke amplitude (rad), limits are +-0.524
MU = 1.2             # limit-cycle attraction gain
ACC_MAX = 60.0       # clip on oscillator acceleration (rad/s^2)
HIP_INERTIA = 1.05   # armature 1 + light link inertia
JOINT_DAMPING = 1.0
HIP_KP = 120.0       # N m / rad  (pair synchronisation)
HIP_KD = 12.0
ANK_KP = 220.0
ANK_KD = 16.0
D_STANCE = 0.90      # ankle depth in stance (rad) -> torso ~0.52 m
D_LIFT = 0.40        # depth reduction in swing (rad)
LIFT_SHARP = 1.2
PHASE_LEAD = 0.25
D_MIN = 0.56
D_MAX = 1.18
TILT_K = 1.0
TILT_KW = 0.03
LEVEL_MAX = 0.3
YAW_K = 0.8
YAW_MAX = 0.22

# legs k = 0..3 correspond to leg 1..4
HIP_OBS = (5, 7, 9, 11)
ANK_OBS = (6, 8, 10, 12)
HIP_VEL = (19, 21, 23, 25)
ANK_VEL = (20, 22, 24, 26)
HIP_ACT = (2, 4, 6, 0)
ANK_ACT = (3, 5, 7, 1)
FWD = (-1.0, -1.0, 1.0, 1.0)    # hip sign that swings the foot toward +x
DOWN = (1.0, -1.0, -1.0, 1.0)   # ankle sign that lowers the foot
PAIR = (1.0, -1.0, 1.0, -1.0)   # trot pairs: A = legs 1,3 ; B = legs 2,4
PX = (1.0, -1.0, -1.0, 1.0)     # leg position along x (front +)
PY = (1.0, 1.0, -1.0, -1.0)     # leg position along y (left +)


def clip(val, lo, hi):
    if val < lo:
        return lo
    if val > hi:
        return hi
    return val


def policy(obs):
    o = np.nan_to_num(np.asarray(obs, dtype=np.float64))
    qw = float(o[1])
    qx = float(o[2])
    qy = float(o[3])
    qz = float(o[4])
    zbx = 2.0 * (qx * qz + qw * qy)      # >0: nose down
    zby = 2.0 * (qy * qz - qw * qx)      # >0: left side down
    yaw = math.atan2(2.0 * (qw * qz + qx * qy), 1.0 - 2.0 * (qy * qy + qz * qz))
    wx = float(o[16])
    wy = float(o[17])

    u = [FWD[k] * float(o[HIP_OBS[k]]) for k in range(4)]
    w = [FWD[k] * float(o[HIP_VEL[k]]) for k in range(4)]
    x = 0.25 * (PAIR[0] * u[0] + PAIR[1] * u[1] + PAIR[2] * u[2] + PAIR[3] * u[3])
    v = 0.25 * (PAIR[0] * w[0] + PAIR[1] * w[1] + PAIR[2] * w[2] + PAIR[3] * w[3])

    a = x / AMP
    b = v / (OMEGA * AMP)
    r2 = a * a + b * b
    phi = math.atan2(-b, a)
    grow = clip(1.0 - r2, -1.0, 1.0)
    acc = clip(-OMEGA * OMEGA * x + MU * OMEGA * grow * v, -ACC_MAX, ACC_MAX)
    gamma = clip(YAW_K * yaw, -YAW_MAX, YAW_MAX)
    lift_gain = min(1.0, 1.5 * math.sqrt(r2))
    s = math.sin(phi + PHASE_LEAD)
    c = math.cos(phi + PHASE_LEAD)

    act = [0.0] * 8
    for k in range(4):
        # hip: shared oscillator + per-leg PD to the trot pattern
        sk = PAIR[k] * (1.0 - FWD[k] * gamma)
        tau = (HIP_INERTIA * sk * acc + JOINT_DAMPING * w[k]
               + HIP_KP * (sk * x - u[k]) + HIP_KD * (sk * v - w[k]))
        act[HIP_ACT[k]] = FWD[k] * tau / GEAR

        # ankle: lift in swing, press in stance, level the torso
        raw = -LIFT_SHARP * PAIR[k] * s
        if raw <= 0.0:
            p = 0.0
            pdot = 0.0
        elif raw >= 1.0:
            p = 1.0
            pdot = 0.0
        else:
            p = raw
            pdot = -LIFT_SHARP * PAIR[k] * c * OMEGA
        level = clip(TILT_K * (zbx * PX[k] + zby * PY[k])
                     + TILT_KW * (wy * PX[k] - wx * PY[k]),
                     -LEVEL_MAX, LEVEL_MAX)
        d_des = clip(D_STANCE - D_LIFT * lift_gain * p + level, D_MIN, D_MAX)
        dd_des = -D_LIFT * lift_gain * pdot
        d = DOWN[k] * float(o[ANK_OBS[k]])
        dd = DOWN[k] * float(o[ANK_VEL[k]])
        tau_a = ANK_KP * (d_des - d) + ANK_KD * (dd_des - dd) + JOINT_DAMPING * dd
        act[ANK_ACT[k]] = DOWN[k] * tau_a / GEAR

    return np.clip(np.array(act, dtype=np.float64), -1.0, 1.0)
