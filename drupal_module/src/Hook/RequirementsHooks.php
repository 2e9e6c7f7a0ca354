<?php

declare(strict_types=1);

namespace Drupal\entra_provisioning\Hook;

use Drupal\Core\Extension\Requirement\RequirementSeverity;
use Drupal\Core\Hook\Attribute\Hook;
use Drupal\entra_provisioning\Provisioning\RequirementsEvaluator;

/**
 * The status report lines (decided by RequirementsEvaluator).
 *
 * Drupal 11.2+ calls runtimeRequirements(); older versions call
 * entra_provisioning_requirements() in the .install file, which forwards to
 * legacyRequirements().
 */
final class RequirementsHooks
{
    /**
     * Evaluator severity => RequirementSeverity value / legacy REQUIREMENT_* int.
     */
    private const SEVERITY = [
        RequirementsEvaluator::INFO => -1,
        RequirementsEvaluator::OK => 0,
        RequirementsEvaluator::WARNING => 1,
        RequirementsEvaluator::ERROR => 2,
    ];

    private RequirementsEvaluator $evaluator;

    public function __construct(RequirementsEvaluator $evaluator)
    {
        $this->evaluator = $evaluator;
    }

    /**
     * Implements hook_runtime_requirements() (Drupal 11.2+).
     *
     * @return array<string, array<string, mixed>>
     */
    #[Hook('runtime_requirements')]
    public function runtimeRequirements(): array
    {
        return $this->build(true);
    }

    /**
     * For hook_requirements('runtime') on Drupal 10.3 - 11.1 (integer severities).
     *
     * @return array<string, array<string, mixed>>
     */
    public function legacyRequirements(): array
    {
        return $this->build(false);
    }

    /**
     * @return array<string, array<string, mixed>>
     */
    private function build(bool $enum): array
    {
        $requirements = [];
        foreach ($this->evaluator->evaluate() as $line) {
            $severity = self::SEVERITY[$line['severity']] ?? 1;
            $requirement = [
                'title' => $line['title'],
                'value' => $line['value'],
                'severity' => $enum ? RequirementSeverity::from($severity) : $severity,
            ];
            if ($line['description'] !== '') {
                $requirement['description'] = ['#plain_text' => $line['description']];
            }
            $requirements['entra_provisioning_' . $line['id']] = $requirement;
        }

        return $requirements;
    }
}
