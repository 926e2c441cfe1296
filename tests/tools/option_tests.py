"""Which tests run each advertised option through its tool's real entry
point: ``{tool: {option: [test ids]}}``, checked by test_option_coverage.py.
A tool is its tools/ script (a console command of setup.py is listed under
the script that runs the same main); an option by its first name.

:data:`GAPS` lists the options that have no such test yet (issue 29): the
coverage test fails when one of them gets a test here without leaving that
list, and when a new option appears in neither."""

OPTION_TESTS = {
    'tools/benchmark.py': {
        '--size': [
            'tests/benchmark/test_benchmark_tool.py::test_a_tiny_run_writes_every_measurement'
        ],
        '--frames': [
            'tests/benchmark/test_benchmark_tool.py::test_a_tiny_run_writes_every_measurement'
        ],
        '--points': [
            'tests/benchmark/test_benchmark_tool.py::test_a_tiny_run_writes_every_measurement'
        ],
        '--late-queries': [
            'tests/tools/test_entry_options.py::test_benchmark_takes_the_checkpoint_width_and_honours_every_option'
        ],
        '--checkpoint': [
            'tests/tools/test_entry_options.py::test_benchmark_end_to_end_workloads_load_the_narrow_checkpoint',
            'tests/tools/test_entry_options.py::test_benchmark_takes_the_checkpoint_width_and_honours_every_option',
        ],
        '--modes': [
            'tests/tools/test_entry_options.py::test_benchmark_end_to_end_workloads_load_the_narrow_checkpoint',
            'tests/tools/test_entry_options.py::test_benchmark_refuses_what_it_would_ignore_before_any_work',
        ],
        '--scaling-sizes': [
            'tests/tools/test_entry_options.py::test_benchmark_takes_the_checkpoint_width_and_honours_every_option'
        ],
        '--scaling-frames': [
            'tests/tools/test_entry_options.py::test_benchmark_takes_the_checkpoint_width_and_honours_every_option'
        ],
        '--correlation-radius': [
            'tests/tools/test_entry_options.py::test_benchmark_takes_the_checkpoint_width_and_honours_every_option'
        ],
        '--peak-gflops': [
            'tests/tools/test_entry_options.py::test_benchmark_takes_the_checkpoint_width_and_honours_every_option'
        ],
        '--cfg-options': [
            'tests/tools/test_entry_options.py::test_benchmark_refuses_what_it_would_ignore_before_any_work',
            'tests/tools/test_entry_options.py::test_benchmark_takes_the_checkpoint_width_and_honours_every_option',
        ],
        '--profile-frames': [
            'tests/tools/test_entry_options.py::test_benchmark_end_to_end_workloads_load_the_narrow_checkpoint',
            'tests/tools/test_entry_options.py::test_benchmark_takes_the_checkpoint_width_and_honours_every_option',
        ],
        '--predictor-frames': [
            'tests/tools/test_entry_options.py::test_benchmark_end_to_end_workloads_load_the_narrow_checkpoint',
            'tests/tools/test_entry_options.py::test_benchmark_refuses_what_it_would_ignore_before_any_work',
        ],
        '--spread-frames': [
            'tests/tools/test_entry_options.py::test_benchmark_takes_the_checkpoint_width_and_honours_every_option'
        ],
        '--vos-frames': [
            'tests/tools/test_entry_options.py::test_benchmark_end_to_end_workloads_load_the_narrow_checkpoint',
            'tests/tools/test_entry_options.py::test_benchmark_refuses_what_it_would_ignore_before_any_work',
        ],
        '--under-load': [
            'tests/tools/test_entry_options.py::test_benchmark_takes_the_checkpoint_width_and_honours_every_option'
        ],
        '--device': [
            'tests/tools/test_entry_options.py::test_benchmark_refuses_what_it_would_ignore_before_any_work',
            'tests/benchmark/test_benchmark_tool.py::test_a_tiny_run_writes_every_measurement',
        ],
        '--json': [
            'tests/tools/test_entry_options.py::test_benchmark_end_to_end_workloads_load_the_narrow_checkpoint',
            'tests/tools/test_entry_options.py::test_benchmark_refuses_what_it_would_ignore_before_any_work',
        ],
        '--seed': [
            'tests/tools/test_entry_options.py::test_benchmark_takes_the_checkpoint_width_and_honours_every_option'
        ],
        '--memory': [
            'tests/tools/test_memory_accuracy_tool.py::test_benchmark_memory_policy_reaches_the_spread_workload'
        ],
        '--trust-pickle': [
            'tests/tools/test_gap_options.py::test_benchmark_loads_a_crafted_checkpoint_only_when_trusted'
        ],
    },
    'tools/benchmark_demo.py': {
        '--frames': [
            'tests/tools/test_benchmark_demo_tool.py::test_the_generated_video_and_the_demo_run_follow_every_option'
        ],
        '--height': [
            'tests/tools/test_benchmark_demo_tool.py::test_the_generated_video_and_the_demo_run_follow_every_option'
        ],
        '--width': [
            'tests/tools/test_benchmark_demo_tool.py::test_the_generated_video_and_the_demo_run_follow_every_option'
        ],
        '--queries': [
            'tests/tools/test_benchmark_demo_tool.py::test_the_generated_video_and_the_demo_run_follow_every_option'
        ],
        '--short-side': [
            'tests/tools/test_benchmark_demo_tool.py::test_the_generated_video_and_the_demo_run_follow_every_option'
        ],
        '--config': [
            'tests/tools/test_benchmark_demo_tool.py::test_the_generated_video_and_the_demo_run_follow_every_option'
        ],
        '--checkpoint': [
            'tests/tools/test_benchmark_demo_tool.py::test_the_generated_video_and_the_demo_run_follow_every_option'
        ],
        '--trust-pickle': [
            'tests/tools/test_benchmark_demo_tool.py::test_the_generated_video_and_the_demo_run_follow_every_option'
        ],
        '--work-dir': [
            'tests/tools/test_benchmark_demo_tool.py::test_the_generated_video_and_the_demo_run_follow_every_option'
        ],
        '--seed': [
            'tests/tools/test_benchmark_demo_tool.py::test_the_generated_video_and_the_demo_run_follow_every_option'
        ],
    },
    'tools/benchmark_online.py': {
        '--checkpoint': [
            'tests/tools/test_benchmark_online_tool.py::test_every_option_shows_in_the_measurement'
        ],
        '--points': [
            'tests/tools/test_benchmark_online_tool.py::test_every_option_shows_in_the_measurement'
        ],
        '--marks': [
            'tests/tools/test_benchmark_online_tool.py::test_every_option_shows_in_the_measurement'
        ],
        '--config': [
            'tests/tools/test_benchmark_online_tool.py::test_every_option_shows_in_the_measurement'
        ],
        '--cfg-options': [
            'tests/tools/test_benchmark_online_tool.py::test_every_option_shows_in_the_measurement'
        ],
        '--short-side': [
            'tests/tools/test_benchmark_online_tool.py::test_every_option_shows_in_the_measurement'
        ],
        '--device': [
            'tests/tools/test_benchmark_online_tool.py::test_every_option_shows_in_the_measurement'
        ],
        '--encoder-onnx': [
            'tests/tools/test_benchmark_online_tool.py::test_every_option_shows_in_the_measurement'
        ],
        '--trust-pickle': [
            'tests/tools/test_benchmark_online_tool.py::test_every_option_shows_in_the_measurement'
        ],
        '--threads': [
            'tests/tools/test_benchmark_online_tool.py::test_every_option_shows_in_the_measurement'
        ],
        '--seed': [
            'tests/tools/test_benchmark_online_tool.py::test_every_option_shows_in_the_measurement'
        ],
    },
    'tools/convert_checkpoint.py': {
        '--out-indices': [
            'tests/tools/test_checkpoint_safety.py::test_own_trained_resumed_and_converted_checkpoints_load_with_no_flag'
        ],
        '--drop': [
            'tests/tools/test_release_checkpoint_tools.py::test_convert_refuses_other_keys_that_map_nowhere_unless_dropped'
        ],
        '--allow-partial': [
            'tests/models/backbones/test_convert_checkpoint.py::test_tool_reads_argument_namespaces_safely_and_refuses_partial_encoders'
        ],
        '--format': [
            'tests/tools/test_release_checkpoint_tools.py::test_a_converted_release_encoder_loads_with_no_report'
        ],
        '--depth': [
            'tests/tools/test_convert_tool.py::test_depth_prefixes_and_trust_shape_the_saved_encoder'
        ],
        '--prefix': [
            'tests/tools/test_convert_tool.py::test_depth_prefixes_and_trust_shape_the_saved_encoder'
        ],
        '--out-prefix': [
            'tests/tools/test_convert_tool.py::test_depth_prefixes_and_trust_shape_the_saved_encoder'
        ],
        '--trust-pickle': [
            'tests/tools/test_convert_tool.py::test_depth_prefixes_and_trust_shape_the_saved_encoder'
        ],
    },
    'tools/demo.py': {
        '--checkpoint': [
            'tests/tools/test_adapt_entry_points.py::test_demo_save_adapted_reloads_with_checkpoint_at_its_width',
            'tests/tools/test_checkpoint_safety.py::test_demo_refuses',
        ],
        '--queries': [
            'tests/tools/test_adapt_entry_points.py::test_demo_save_adapted_reloads_with_checkpoint_at_its_width',
            'tests/tools/test_demo_collisions.py::test_colliding_names_get_their_own_folders',
        ],
        '--mask': [
            'tests/tools/test_demo_h264.py::test_tracks_and_mask_overlay_are_h264_with_every_frame',
            'tests/cli/test_demo.py::test_bad_inputs_stop_with_a_clear_message_and_no_output',
        ],
        '--out': [
            'tests/tools/test_adapt_entry_points.py::test_demo_save_adapted_reloads_with_checkpoint_at_its_width',
            'tests/tools/test_demo_collisions.py::test_colliding_names_get_their_own_folders',
        ],
        '--overwrite': [
            'tests/tools/test_demo_collisions.py::test_colliding_names_get_their_own_folders',
            'tests/tools/test_demo_collisions.py::test_resume_keeps_a_folder_only_for_the_same_bytes',
        ],
        '--resume': [
            'tests/tools/test_demo_collisions.py::test_colliding_names_get_their_own_folders',
            'tests/tools/test_demo_collisions.py::test_resume_keeps_a_folder_only_for_the_same_bytes',
        ],
        '--config': [
            'tests/tools/test_demo_collisions.py::test_colliding_names_get_their_own_folders',
            'tests/tools/test_demo_collisions.py::test_resume_keeps_a_folder_only_for_the_same_bytes',
        ],
        '--cfg-options': [
            'tests/tools/test_adapt_entry_points.py::test_demo_save_adapted_reloads_with_checkpoint_at_its_width',
            'tests/engine/test_adaptation.py::test_demo_adapt_bad_inputs_stop_with_one_clear_error_and_no_output',
        ],
        '--short-side': [
            'tests/tools/test_adapt_entry_points.py::test_demo_save_adapted_reloads_with_checkpoint_at_its_width'
        ],
        '--device': [
            'tests/tools/test_demo_collisions.py::test_colliding_names_get_their_own_folders',
            'tests/tools/test_demo_collisions.py::test_resume_keeps_a_folder_only_for_the_same_bytes',
        ],
        '--adapt': [
            'tests/tools/test_adapt_entry_points.py::test_demo_save_adapted_reloads_with_checkpoint_at_its_width',
            'tests/engine/test_adaptation.py::test_demo_adapt_bad_inputs_stop_with_one_clear_error_and_no_output',
        ],
        '--save-adapted': [
            'tests/tools/test_adapt_entry_points.py::test_demo_save_adapted_reloads_with_checkpoint_at_its_width'
        ],
        '--fps': [
            'tests/tools/test_demo_drawing.py::test_frame_rate_radius_trail_and_opacity_are_drawn'
        ],
        '--trail': [
            'tests/tools/test_demo_drawing.py::test_frame_rate_radius_trail_and_opacity_are_drawn'
        ],
        '--radius': [
            'tests/tools/test_demo_drawing.py::test_frame_rate_radius_trail_and_opacity_are_drawn'
        ],
        '--alpha': [
            'tests/tools/test_demo_drawing.py::test_frame_rate_radius_trail_and_opacity_are_drawn'
        ],
        '--encoder-onnx': [
            'tests/tools/test_gap_options.py::test_demo_trust_pickle_and_encoder_onnx'
        ],
        '--trust-pickle': [
            'tests/tools/test_gap_options.py::test_demo_trust_pickle_and_encoder_onnx'
        ],
        '--adapt-seed': ['tests/tools/test_gap_options.py::test_demo_adapt_seed'],
    },
    'tools/eval_real.py': {
        '--encoder': [
            'tests/cli/test_eval_real.py::test_bad_arguments_are_named',
            'tests/cli/test_eval_real.py::test_rows_are_recorded_resumable_and_rescored_exactly',
        ],
        '--davis': [
            'tests/cli/test_eval_real.py::test_bad_arguments_are_named',
            'tests/cli/test_eval_real.py::test_rows_are_recorded_resumable_and_rescored_exactly',
        ],
        '--adapt': [
            'tests/cli/test_eval_real.py::test_bad_arguments_are_named',
            'tests/cli/test_eval_real.py::test_rows_are_recorded_resumable_and_rescored_exactly',
        ],
        '--short-side': [
            'tests/cli/test_eval_real.py::test_rows_are_recorded_resumable_and_rescored_exactly'
        ],
        '--cfg-options': [
            'tests/cli/test_eval_real.py::test_rows_are_recorded_resumable_and_rescored_exactly'
        ],
        '--work-dir': [
            'tests/cli/test_eval_real.py::test_rows_are_recorded_resumable_and_rescored_exactly'
        ],
        '--resume': [
            'tests/cli/test_eval_real.py::test_rows_are_recorded_resumable_and_rescored_exactly'
        ],
        '--dump': [
            'tests/cli/test_eval_real.py::test_rows_are_recorded_resumable_and_rescored_exactly'
        ],
        '--out': [
            'tests/cli/test_eval_real.py::test_rows_are_recorded_resumable_and_rescored_exactly'
        ],
        '--split': [
            'tests/tools/test_gap_options.py::test_eval_real_data_options_config_and_no_references'
        ],
        '--resolution': [
            'tests/tools/test_gap_options.py::test_eval_real_data_options_config_and_no_references'
        ],
        '--badja': [
            'tests/tools/test_gap_options.py::test_eval_real_data_options_config_and_no_references'
        ],
        '--jhmdb': [
            'tests/tools/test_gap_options.py::test_eval_real_data_options_config_and_no_references',
            'tests/tools/test_gap_options.py::test_eval_real_adapt_seed',
        ],
        '--adapt-seed': ['tests/tools/test_gap_options.py::test_eval_real_adapt_seed'],
        '--config': [
            'tests/tools/test_gap_options.py::test_eval_real_data_options_config_and_no_references',
            'tests/tools/test_gap_options.py::test_eval_real_adapt_seed',
        ],
        '--no-references': [
            'tests/tools/test_gap_options.py::test_eval_real_data_options_config_and_no_references'
        ],
    },
    'tools/export.py': {
        '--format': [
            'tests/tools/test_option_checks.py::test_export_to_a_missing_folder_or_onto_its_checkpoint',
            'tests/models/test_export.py::test_bad_inputs_are_named',
        ],
        '--out': [
            'tests/tools/test_option_checks.py::test_export_to_a_missing_folder_or_onto_its_checkpoint',
            'tests/models/test_export.py::test_bad_inputs_are_named',
        ],
        '--config': ['tests/tools/test_export_tool.py::test_the_config_and_task_pick_the_encoder'],
        '--task': ['tests/tools/test_export_tool.py::test_the_config_and_task_pick_the_encoder'],
        '--cfg-options': [
            'tests/tools/test_export_tool.py::test_a_trusted_checkpoint_is_exported_at_the_width_cfg_options_give',
            'tests/models/test_export.py::test_exported_encoders_match_pytorch_features',
        ],
        '--trust-pickle': [
            'tests/tools/test_export_tool.py::test_a_trusted_checkpoint_is_exported_at_the_width_cfg_options_give'
        ],
    },
    'tools/gpu_check.py': {
        '--cpu-dry-run': [
            'tests/tools/test_gpu_check_tool.py::test_a_dry_run_of_one_step_with_a_given_peak'
        ],
        '--out': [
            'tests/tools/test_gpu_check_tool.py::test_a_dry_run_of_one_step_with_a_given_peak'
        ],
        '--steps': [
            'tests/tools/test_gpu_check_tool.py::test_a_dry_run_of_one_step_with_a_given_peak'
        ],
        '--peak-gflops': [
            'tests/tools/test_gpu_check_tool.py::test_a_dry_run_of_one_step_with_a_given_peak'
        ],
    },
    'tools/publish_model.py': {
        '--after': [
            'tests/tools/test_publish_tool.py::test_a_training_in_stages_records_each_stage_and_their_sum',
            'tests/tools/test_publish_tool.py::test_after_takes_a_checkpoint_and_at_most_its_config',
        ],
        '--default': [
            'tests/tools/test_publish_tool.py::test_default_command_work_dir_and_trust_reach_the_manifest'
        ],
        '--train-command': [
            'tests/tools/test_publish_tool.py::test_default_command_work_dir_and_trust_reach_the_manifest'
        ],
        '--work-dir': [
            'tests/tools/test_publish_tool.py::test_default_command_work_dir_and_trust_reach_the_manifest'
        ],
        '--trust-pickle': [
            'tests/tools/test_publish_tool.py::test_default_command_work_dir_and_trust_reach_the_manifest'
        ],
        '--name': [
            'tests/zoo/test_publish.py::test_the_entry_records_weights_encoder_and_provenance',
            'tests/tools/test_publish_tool.py::test_default_command_work_dir_and_trust_reach_the_manifest',
        ],
        '--zoo': [
            'tests/zoo/test_publish.py::test_the_entry_records_weights_encoder_and_provenance',
            'tests/tools/test_publish_tool.py::test_default_command_work_dir_and_trust_reach_the_manifest',
        ],
        '--train-config': [
            'tests/zoo/test_publish.py::test_the_entry_records_weights_encoder_and_provenance',
            'tests/tools/test_publish_tool.py::test_default_command_work_dir_and_trust_reach_the_manifest',
        ],
    },
    'tools/score.py': {
        '--data-root': [
            'tests/tools/test_pickle_refusals.py::test_score_tool_refuses_crafted_data_and_predictions',
            'tests/tools/test_protocol_tools.py::test_release_protocol_through_test_score_and_dist_test',
        ],
        '--work-dir': [
            'tests/tools/test_pickle_refusals.py::test_score_tool_refuses_crafted_data_and_predictions',
            'tests/tools/test_protocol_tools.py::test_release_protocol_through_test_score_and_dist_test',
        ],
        '--config': [
            'tests/evaluation/test_eval_scoring.py::test_score_of_dumped_predictions_equals_the_test_summary'
        ],
        '--protocol': [
            'tests/tools/test_protocol_tools.py::test_release_protocol_through_test_score_and_dist_test'
        ],
        '--raster': [
            'tests/tools/test_score_errors.py::test_options_the_task_ignores_are_refused_first'
        ],
        '--cfg-options': [
            'tests/tools/test_protocol_tools.py::test_release_protocol_through_test_score_and_dist_test',
            'tests/tools/test_test_tool_resume.py::test_one_writer_per_work_dir',
        ],
        '--trust-pickle': [
            'tests/tools/test_gap_options.py::test_score_tool_trust_pickle_scores_crafted_data_and_predictions'
        ],
    },
    'tools/test.py': {
        '--task': [
            'tests/tools/test_entry_options.py::test_test_tool_switches_to_the_coarse_to_fine_matcher',
            'tests/tools/test_adapt_entry_points.py::test_test_tool_adapts_each_video_through_the_test_loop',
        ],
        '--work-dir': [
            'tests/tools/test_entry_options.py::test_test_tool_switches_to_the_coarse_to_fine_matcher',
            'tests/tools/test_adapt_entry_points.py::test_test_tool_adapts_each_video_through_the_test_loop',
        ],
        '--data-root': [
            'tests/tools/test_entry_options.py::test_test_tool_switches_to_the_coarse_to_fine_matcher',
            'tests/tools/test_adapt_entry_points.py::test_test_tool_adapts_each_video_through_the_test_loop',
        ],
        '--protocol': [
            'tests/tools/test_protocol_tools.py::test_release_protocol_through_test_score_and_dist_test'
        ],
        '--cfg-options': [
            'tests/tools/test_entry_options.py::test_test_tool_switches_to_the_coarse_to_fine_matcher',
            'tests/tools/test_adapt_entry_points.py::test_test_tool_adapts_each_video_through_the_test_loop',
        ],
        '--show-dir': [
            'tests/evaluation/test_eval_tasks.py::test_jhmdb_sample_through_dist_test',
            'tests/evaluation/test_eval_tasks.py::test_vos_identical_frames_give_perfect_jf_through_tools_test',
        ],
        '--resume': [
            'tests/tools/test_option_checks.py::test_test_and_train_tools_refuse_options_they_would_ignore',
            'tests/tools/test_test_tool_resume.py::test_a_record_of_a_video_the_dataset_lacks_is_refused',
        ],
        '--dump': [
            'tests/tools/test_entry_options.py::test_test_tool_switches_to_the_coarse_to_fine_matcher',
            'tests/tools/test_adapt_entry_points.py::test_test_tool_adapts_each_video_through_the_test_loop',
        ],
        '--print-protocol': [
            'tests/tools/test_option_checks.py::test_test_and_train_tools_refuse_options_they_would_ignore',
            'tests/evaluation/test_eval_resume.py::test_print_protocol_shows_the_record_without_evaluating',
        ],
        '--adapt': [
            'tests/tools/test_adapt_entry_points.py::test_test_tool_adapts_each_video_through_the_test_loop',
            'tests/tools/test_option_checks.py::test_test_and_train_tools_refuse_options_they_would_ignore',
        ],
        '--adapt-seed': [
            'tests/tools/test_option_checks.py::test_test_and_train_tools_refuse_options_they_would_ignore'
        ],
        '--launcher': [
            'tests/tools/test_option_checks.py::test_test_and_train_tools_refuse_options_they_would_ignore'
        ],
        '--port': [
            'tests/tools/test_option_checks.py::test_test_and_train_tools_refuse_options_they_would_ignore'
        ],
        '--trust-pickle': [
            'tests/tools/test_gap_options.py::test_test_tool_trust_pickle_and_verbose'
        ],
        '--verbose': ['tests/tools/test_gap_options.py::test_test_tool_trust_pickle_and_verbose'],
    },
    'tools/track_stream.py': {
        '--out': [
            'tests/tools/test_odd_names.py::test_the_stream_tool_on_such_a_name',
            'tests/tools/test_option_checks.py::test_stream_queries_and_options_are_checked_before_anything_is_written',
        ],
        '--queries': [
            'tests/tools/test_odd_names.py::test_the_stream_tool_on_such_a_name',
            'tests/tools/test_option_checks.py::test_stream_queries_and_options_are_checked_before_anything_is_written',
        ],
        '--config': [
            'tests/tools/test_odd_names.py::test_the_stream_tool_on_such_a_name',
            'tests/tools/test_option_checks.py::test_stream_queries_and_options_are_checked_before_anything_is_written',
        ],
        '--device': [
            'tests/tools/test_odd_names.py::test_the_stream_tool_on_such_a_name',
            'tests/cli/test_track_stream.py::test_ctrl_c_keeps_everything_written_readable',
        ],
        '--video': [
            'tests/tools/test_odd_names.py::test_the_stream_tool_on_such_a_name',
            'tests/cli/test_track_stream.py::test_ctrl_c_keeps_everything_written_readable',
        ],
        '--max-frames': [
            'tests/tools/test_option_checks.py::test_stream_queries_and_options_are_checked_before_anything_is_written'
        ],
        '--realtime': [
            'tests/tools/test_option_checks.py::test_stream_queries_and_options_are_checked_before_anything_is_written',
            'tests/cli/test_track_stream.py::test_ctrl_c_keeps_everything_written_readable',
        ],
        '--overwrite': [
            'tests/tools/test_option_checks.py::test_stream_queries_and_options_are_checked_before_anything_is_written'
        ],
        '--checkpoint': [
            'tests/tools/test_zoo_weights_in_tools.py::test_track_stream_default_and_none'
        ],
        '--short-side': [
            'tests/tools/test_zoo_weights_in_tools.py::test_track_stream_default_and_none'
        ],
        '--cfg-options': [
            'tests/tools/test_gap_options.py::test_track_stream_trust_pickle_cfg_options_and_encoder_onnx'
        ],
        '--encoder-onnx': [
            'tests/tools/test_gap_options.py::test_track_stream_trust_pickle_cfg_options_and_encoder_onnx'
        ],
        '--trust-pickle': [
            'tests/tools/test_gap_options.py::test_track_stream_trust_pickle_cfg_options_and_encoder_onnx'
        ],
    },
    'tools/train.py': {
        '--work-dir': [
            'tests/tools/test_checkpoint_errors.py::test_train_tool_resume_from_a_file_cut_short_or_empty',
            'tests/tools/test_option_checks.py::test_cuda_and_amp_without_a_gpu_are_one_line_errors',
        ],
        '--resume': [
            'tests/tools/test_checkpoint_errors.py::test_train_tool_resume_from_a_file_cut_short_or_empty',
            'tests/tools/test_option_checks.py::test_test_and_train_tools_refuse_options_they_would_ignore',
        ],
        '--amp': [
            'tests/tools/test_option_checks.py::test_cuda_and_amp_without_a_gpu_are_one_line_errors',
            'tests/propagation/test_devices.py::test_amp_training_keeps_losses_finite_and_close_to_fp32',
        ],
        '--cfg-options': [
            'tests/tools/test_test_tool_resume.py::test_one_writer_per_work_dir',
            'tests/tools/test_checkpoint_safety.py::test_own_trained_resumed_and_converted_checkpoints_load_with_no_flag',
        ],
        '--launcher': [
            'tests/tools/test_option_checks.py::test_test_and_train_tools_refuse_options_they_would_ignore'
        ],
        '--port': [
            'tests/tools/test_option_checks.py::test_test_and_train_tools_refuse_options_they_would_ignore'
        ],
        '--trust-pickle': [
            'tests/tools/test_gap_options.py::test_train_tool_trust_pickle_and_verbose'
        ],
        '--verbose': ['tests/tools/test_gap_options.py::test_train_tool_trust_pickle_and_verbose'],
    },
    'tools/web_demo.py': {
        '--checkpoint': [
            'tests/tools/test_web_demo_tool.py::test_every_option_reaches_the_page',
            'tests/tools/test_web_demo_tool.py::test_bad_options_stop_the_tool_in_one_line_before_serving',
        ],
        '--config': ['tests/tools/test_web_demo_tool.py::test_every_option_reaches_the_page'],
        '--cfg-options': ['tests/tools/test_web_demo_tool.py::test_every_option_reaches_the_page'],
        '--short-side': ['tests/tools/test_web_demo_tool.py::test_every_option_reaches_the_page'],
        '--device': [
            'tests/tools/test_web_demo_tool.py::test_every_option_reaches_the_page',
            'tests/tools/test_web_demo_tool.py::test_bad_options_stop_the_tool_in_one_line_before_serving',
        ],
        '--encoder-onnx': [
            'tests/tools/test_web_demo_tool.py::test_every_option_reaches_the_page',
            'tests/tools/test_web_demo_tool.py::test_bad_options_stop_the_tool_in_one_line_before_serving',
        ],
        '--trust-pickle': [
            'tests/tools/test_web_demo_tool.py::test_every_option_reaches_the_page',
            'tests/tools/test_web_demo_tool.py::test_bad_options_stop_the_tool_in_one_line_before_serving',
        ],
        '--host': ['tests/tools/test_web_demo_tool.py::test_every_option_reaches_the_page'],
        '--port': [
            'tests/tools/test_web_demo_tool.py::test_every_option_reaches_the_page',
            'tests/tools/test_web_demo_tool.py::test_bad_options_stop_the_tool_in_one_line_before_serving',
        ],
        '--work-dir': [
            'tests/tools/test_web_demo_tool.py::test_every_option_reaches_the_page',
            'tests/tools/test_web_demo_tool.py::test_bad_options_stop_the_tool_in_one_line_before_serving',
        ],
    },
    'tools/data/prepare.py': {
        '--out': [
            'tests/tools/test_pickle_refusals.py::test_dataset_preparation_refuses_a_crafted_tapvid_pickle_unless_trusted',
            'tests/datasets/test_prepare_datasets.py::test_tool_prints_the_missing_path_source_and_licence',
        ],
        '--short-side': [
            'tests/datasets/test_prepare_datasets.py::test_tool_prints_the_missing_path_source_and_licence'
        ],
        '--trust-pickle': [
            'tests/tools/test_pickle_refusals.py::test_dataset_preparation_refuses_a_crafted_tapvid_pickle_unless_trusted'
        ],
        '--resolution': [
            'tests/tools/test_gap_options.py::test_prepare_davis_resolution',
            'tests/tools/test_gap_options.py::test_prepare_flyingthings_split_and_options_of_another_dataset',
        ],
        '--jhmdb-split': [
            'tests/tools/test_gap_options.py::test_prepare_jhmdb_split',
            'tests/tools/test_gap_options.py::test_prepare_flyingthings_split_and_options_of_another_dataset',
        ],
        '--davis-root': [
            'tests/tools/test_gap_options.py::test_prepare_badja_davis_root',
            'tests/tools/test_gap_options.py::test_prepare_flyingthings_split_and_options_of_another_dataset',
        ],
        '--split': [
            'tests/tools/test_gap_options.py::test_prepare_flyingthings_split_and_options_of_another_dataset'
        ],
    },
    'tools/memory_accuracy.py': {
        '--tapvid': [
            'tests/tools/test_memory_accuracy_tool.py::test_every_option_reaches_the_table',
            'tests/tools/test_memory_accuracy_tool.py::test_checkpoint_defaults_to_the_zoo_model_and_none_is_untrained',
        ],
        '--jhmdb': [
            'tests/tools/test_memory_accuracy_tool.py::test_every_option_reaches_the_table'
        ],
        '--badja': [
            'tests/tools/test_memory_accuracy_tool.py::test_every_option_reaches_the_table'
        ],
        '--davis': [
            'tests/tools/test_memory_accuracy_tool.py::test_every_option_reaches_the_table'
        ],
        '--policies': [
            'tests/tools/test_memory_accuracy_tool.py::test_every_option_reaches_the_table',
            'tests/tools/test_memory_accuracy_tool.py::test_checkpoint_defaults_to_the_zoo_model_and_none_is_untrained',
        ],
        '--config': [
            'tests/tools/test_memory_accuracy_tool.py::test_every_option_reaches_the_table',
            'tests/tools/test_memory_accuracy_tool.py::test_checkpoint_defaults_to_the_zoo_model_and_none_is_untrained',
        ],
        '--checkpoint': [
            'tests/tools/test_memory_accuracy_tool.py::test_every_option_reaches_the_table',
            'tests/tools/test_memory_accuracy_tool.py::test_checkpoint_defaults_to_the_zoo_model_and_none_is_untrained',
        ],
        '--trust-pickle': [
            'tests/tools/test_memory_accuracy_tool.py::test_every_option_reaches_the_table'
        ],
        '--query-stride': [
            'tests/tools/test_memory_accuracy_tool.py::test_every_option_reaches_the_table'
        ],
        '--points': [
            'tests/tools/test_memory_accuracy_tool.py::test_every_option_reaches_the_table'
        ],
        '--davis-split': [
            'tests/tools/test_memory_accuracy_tool.py::test_every_option_reaches_the_table'
        ],
        '--davis-resolution': [
            'tests/tools/test_memory_accuracy_tool.py::test_every_option_reaches_the_table'
        ],
        '--max-videos': [
            'tests/tools/test_memory_accuracy_tool.py::test_every_option_reaches_the_table',
            'tests/tools/test_memory_accuracy_tool.py::test_checkpoint_defaults_to_the_zoo_model_and_none_is_untrained',
        ],
        '--max-frames': [
            'tests/tools/test_memory_accuracy_tool.py::test_every_option_reaches_the_table',
            'tests/tools/test_memory_accuracy_tool.py::test_checkpoint_defaults_to_the_zoo_model_and_none_is_untrained',
        ],
        '--max-queries': [
            'tests/tools/test_memory_accuracy_tool.py::test_every_option_reaches_the_table'
        ],
        '--device': [
            'tests/tools/test_memory_accuracy_tool.py::test_every_option_reaches_the_table',
            'tests/tools/test_memory_accuracy_tool.py::test_checkpoint_defaults_to_the_zoo_model_and_none_is_untrained',
        ],
        '--seed': ['tests/tools/test_memory_accuracy_tool.py::test_every_option_reaches_the_table'],
        '--json': [
            'tests/tools/test_memory_accuracy_tool.py::test_every_option_reaches_the_table',
            'tests/tools/test_memory_accuracy_tool.py::test_checkpoint_defaults_to_the_zoo_model_and_none_is_untrained',
        ],
    },
}

#: Options without an entry-point test yet: ``{tool: [options]}`` (none now).
GAPS = {}
