/* Exception entry for the FPU checks. The FP status is sampled here, before
 * any FP instruction runs in the handler, because the first one triggers
 * the lazy save and changes FPCCR/CONTROL. */
    .file "stub.S"  /* else the FILE symbol is a random temp name */
    .syntax unified
    .thumb
    .fpu fpv4-sp-d16

    .global exc_stub
    .type exc_stub, %function
    .thumb_func
exc_stub:
    ldr     r2, =0xE000EF34     /* FPCCR, FPCAR follows */
    ldr     r3, [r2]
    ldr     r2, [r2, #4]
    ldr     r12, =fp_entry
    str     r3, [r12, #0]       /* fp_entry.fpccr */
    str     r2, [r12, #4]       /* fp_entry.fpcar */
    mrs     r3, control
    str     r3, [r12, #8]       /* fp_entry.control */
    mov     r0, lr
    tst     lr, #4
    ite     eq
    mrseq   r1, msp
    mrsne   r1, psp
    ldr     r3, [r1, #32]       /* s0 slot of an extended frame */
    str     r3, [r12, #12]      /* fp_entry.s0 */
    push    {r0, lr}
    bl      exc_dispatch
    pop     {r1, r2}
    bx      r0
    .size exc_stub, . - exc_stub

    .global SVC_Handler
    .thumb_set SVC_Handler, exc_stub
    .global IRQ26_Handler
    .thumb_set IRQ26_Handler, exc_stub
    .global IRQ27_Handler
    .thumb_set IRQ27_Handler, exc_stub

/* void fp_clobber(const uint32_t pattern[32]): what a real handler does to
 * the FP file. s0-s15 and FPSCR are simply overwritten (the hardware frame
 * must save them); s16-s31 are callee-saved, so they are pushed, trashed
 * and popped as the AAPCS requires. */
    .global fp_clobber
    .type fp_clobber, %function
    .thumb_func
fp_clobber:
    vpush   {s16-s31}
    vldm    r0, {s0-s31}
    vadd.f32 s0, s1, s2
    vmul.f32 s16, s17, s18
    movw    r1, #0x009F         /* cumulative exception flags */
    movt    r1, #0x0340         /* DN | FZ | RMode=RM */
    vmsr    fpscr, r1
    vpop    {s16-s31}
    bx      lr
    .size fp_clobber, . - fp_clobber
