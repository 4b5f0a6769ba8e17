using System;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Derbes.Web.Data.Migrations.Sqlite
{
    /// <inheritdoc />
    public partial class DisclosureRegister : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.CreateTable(
                name: "Disclosures",
                columns: table => new
                {
                    Id = table.Column<long>(type: "INTEGER", nullable: false)
                        .Annotation("Sqlite:Autoincrement", true),
                    DisclosedOn = table.Column<DateOnly>(type: "TEXT", nullable: false),
                    RecordedAt = table.Column<long>(type: "INTEGER", nullable: false),
                    RecordedBy = table.Column<Guid>(type: "TEXT", nullable: false),
                    RecipientKind = table.Column<int>(type: "INTEGER", nullable: false),
                    RecipientName = table.Column<string>(type: "TEXT", maxLength: 200, nullable: false),
                    Basis = table.Column<int>(type: "INTEGER", nullable: false),
                    RequestNumber = table.Column<string>(type: "TEXT", maxLength: 64, nullable: true),
                    RequestDate = table.Column<DateOnly>(type: "TEXT", nullable: true),
                    LegalArticle = table.Column<string>(type: "TEXT", maxLength: 200, nullable: true),
                    Purpose = table.Column<string>(type: "TEXT", maxLength: 500, nullable: false),
                    Categories = table.Column<int>(type: "INTEGER", nullable: false),
                    Channel = table.Column<int>(type: "INTEGER", nullable: false),
                    ApprovedBy = table.Column<Guid>(type: "TEXT", nullable: false),
                    Confidential = table.Column<bool>(type: "INTEGER", nullable: false),
                    ConfidentialityLiftedAt = table.Column<long>(type: "INTEGER", nullable: true),
                    ConfidentialityLiftedBy = table.Column<Guid>(type: "TEXT", nullable: true),
                    CustomerCount = table.Column<int>(type: "INTEGER", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_Disclosures", x => x.Id);
                });

            migrationBuilder.CreateTable(
                name: "DisclosureSubjects",
                columns: table => new
                {
                    DisclosureId = table.Column<long>(type: "INTEGER", nullable: false),
                    AccountId = table.Column<Guid>(type: "TEXT", nullable: false),
                    NotifiedAt = table.Column<long>(type: "INTEGER", nullable: true)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_DisclosureSubjects", x => new { x.DisclosureId, x.AccountId });
                    table.ForeignKey(
                        name: "FK_DisclosureSubjects_Disclosures_DisclosureId",
                        column: x => x.DisclosureId,
                        principalTable: "Disclosures",
                        principalColumn: "Id",
                        onDelete: ReferentialAction.Cascade);
                });

            migrationBuilder.CreateIndex(
                name: "IX_Disclosures_DisclosedOn",
                table: "Disclosures",
                column: "DisclosedOn");

            migrationBuilder.CreateIndex(
                name: "IX_DisclosureSubjects_AccountId",
                table: "DisclosureSubjects",
                column: "AccountId");
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropTable(
                name: "DisclosureSubjects");

            migrationBuilder.DropTable(
                name: "Disclosures");
        }
    }
}
