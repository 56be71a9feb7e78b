import math

GRAV = 9.81
GEAR = 200.0

# link masses from capsule volumes (density 1000)
M_TORSO = 3.665
M_THIGH = 4.058
M_SHANK = 2.781
M_FOOT = 5.316
M_TOTAL = M_TORSO + M_THIGH + M_SHANK + M_FOOT

# geometry (m)
HIP_OFFSET = 0.20
THIGH_LEN = 0.45
SHANK_LEN = 0.50
TOE_LEN = 0.26
HEEL_LEN = 0.13
FOOT_RADIUS = 0.06
FOOT_COM_OFFSET = 0.065

# torso / hip
P_NOM = 0.0
P_LO = -0.12
Q1_MARGIN = 0.05
KP_TORSO = 2.5
KD_TORSO = 0.25

# knee
KP_KNEE = 2.0
KD_KNEE = 0.15
Q2_STANCE = -0.10
Q2_FLIGHT = -0.08
Q2_FLIGHT_MIN = -0.35
Q2_FLIGHT_MAX = -0.02
K_PLACE = 2.0

# ankle
KP_ANKLE = 1.0
KD_ANKLE = 0.08
PSI_FLIGHT = 0.03
Q3_TARGET_LIM = 0.75

# gait
CONTACT_EPS = 0.012
V_DES = 0.5
K_VEL = 0.25
COP_MIN = -0.08
COP_MAX = 0.20
S_PUSH = 0.13
S_TOUCH = 0.08
LATCH_PSI = 0.10
LATCH_S = 0.07
U_PUSH = 0.75
VZ_MIN = 0.55
VZ_MAX = 1.7
FD_STEP = 1.0e-3


def clip_value(x, lo, hi):
    if not math.isfinite(x):
        return 0.0
    if x < lo:
        return lo
    if x > hi:
        return hi
    return x


def leg_kinematics(p, q1, q2, q3):
    # positions relative to the torso origin; angles measured as "lower end toward +x"
    a_th = q1 - p
    a_sh = q1 + q2 - p
    psi = a_sh + q3  # foot toe-up angle w.r.t. ground
    hx = -HIP_OFFSET * math.sin(p)
    hz = -HIP_OFFSET * math.cos(p)
    kx = hx + THIGH_LEN * math.sin(a_th)
    kz = hz - THIGH_LEN * math.cos(a_th)
    ax = kx + SHANK_LEN * math.sin(a_sh)
    az = kz - SHANK_LEN * math.cos(a_sh)
    sp = math.sin(psi)
    cp = math.cos(psi)
    fx = ax + FOOT_COM_OFFSET * cp
    fz = az + FOOT_COM_OFFSET * sp
    cx = (M_THIGH * 0.5 * (hx + kx) + M_SHANK * 0.5 * (kx + ax) + M_FOOT * fx) / M_TOTAL
    cz = (M_THIGH * 0.5 * (hz + kz) + M_SHANK * 0.5 * (kz + az) + M_FOOT * fz) / M_TOTAL
    low = az + min(-HEEL_LEN * sp, TOE_LEN * sp) - FOOT_RADIUS
    return ax, az, cx, cz, low, psi


def policy(obs):
    z = float(obs[0])
    p = float(obs[1])
    q1 = float(obs[2])
    q2 = float(obs[3])
    q3 = float(obs[4])
    vx = float(obs[5])
    vz = float(obs[6])
    dp = float(obs[7])
    dq1 = float(obs[8])
    dq2 = float(obs[9])
    dq3 = float(obs[10])

    ax, az, cx, cz, low, psi = leg_kinematics(p, q1, q2, q3)
    k_full = leg_kinematics(p + FD_STEP * dp, q1 + FD_STEP * dq1,
                            q2 + FD_STEP * dq2, q3 + FD_STEP * dq3)
    vcx = vx + (k_full[2] - cx) / FD_STEP
    vcz = vz + (k_full[3] - cz) / FD_STEP
    # rigid-leg rotation rate of s (knee/ankle motion excluded)
    k_rigid = leg_kinematics(p + FD_STEP * dp, q1 + FD_STEP * dq1, q2, q3)
    s = cx - ax
    sdot = ((k_rigid[2] - k_rigid[0]) - s) / FD_STEP
    foot_h = z + low
    contact = foot_h < CONTACT_EPS

    # hip: torso pitch PD; lean torso back only to keep q1 off its upper limit
    p_des = min(P_NOM, p - q1 - Q1_MARGIN)
    if p_des < P_LO:
        p_des = P_LO
    u_hip = -KP_TORSO * (p - p_des) - KD_TORSO * dp

    # ankle PD that holds the foot (nearly) flat w.r.t. the ground
    q3_target = clip_value(PSI_FLIGHT - (q1 + q2 - p), -Q3_TARGET_LIM, Q3_TARGET_LIM)
    u_ankle_level = KP_ANKLE * (q3_target - q3) - KD_ANKLE * dq3

    if contact:
        t_flight = 2.0 * max(vcz, 0.0) / GRAV
        s_pred = s + sdot * t_flight
        pushing = (s > S_PUSH) or (psi < -LATCH_PSI and s > LATCH_S)
        done = (vcz >= VZ_MIN and s_pred <= S_TOUCH) or (vcz >= VZ_MAX)
        q2_des = Q2_STANCE
        if pushing and not done:
            u_ankle = -U_PUSH
        elif pushing:
            u_ankle = u_ankle_level
        else:
            x_cop = clip_value(s + K_VEL * (vcx - V_DES), COP_MIN, COP_MAX)
            u_ankle = (M_FOOT * GRAV * FOOT_COM_OFFSET - M_TOTAL * GRAV * x_cop) / GEAR
    else:
        disc = vcz * vcz + 2.0 * GRAV * max(foot_h, 0.0)
        t_rem = (vcz + math.sqrt(max(disc, 0.0))) / GRAV
        s_pred = s + sdot * t_rem
        q2_des = clip_value(Q2_FLIGHT + K_PLACE * (s_pred - S_TOUCH),
                            Q2_FLIGHT_MIN, Q2_FLIGHT_MAX)
        u_ankle = u_ankle_level

    u_knee = KP_KNEE * (q2_des - q2) - KD_KNEE * dq2

    return [clip_value(u_hip, -1.0, 1.0),
            clip_value(u_knee, -1.0, 1.0),
            clip_value(u_ankle, -1.0, 1.0)]
